// Random walk for popularity with house effects; the pollsters' noise levels share a lognormal
// distribution whose centre and spread are learned.
data {
  int num_days; // days of the campaign
  int num_pollsters; // number of pollsters
  int num_polls; // number of polls
  array[num_polls] int<lower=1, upper=num_pollsters> pollster; // who ran each poll
  array[num_polls] int<lower=1, upper=num_days> day; // day of each poll
  array[num_polls] real result; // percentage supporting the candidate
}
parameters {
  vector[num_days] popularity;
  real<lower=0> step_sd;
  vector[num_pollsters] house;
  real log_noise_mean;
  real<lower=0> log_noise_sd;
  vector<lower=0>[num_pollsters] poll_sd;
}
model {
  popularity[1] ~ normal(50, 10);
  popularity[2:num_days] ~ normal(popularity[1:(num_days - 1)], step_sd);
  step_sd ~ normal(0, 1) T[0, ];
  house ~ normal(0, 3);
  log_noise_mean ~ normal(1, 1);
  log_noise_sd ~ normal(0, 1) T[0, ];
  poll_sd ~ lognormal(log_noise_mean, log_noise_sd);
  result ~ normal(popularity[day] + house[pollster], poll_sd[pollster]);
}
