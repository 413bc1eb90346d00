// Random walk for popularity; polls are unbiased but each pollster has its own noise level.
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
  vector<lower=0>[num_pollsters] poll_sd;
}
model {
  popularity[1] ~ normal(50, 10);
  popularity[2:num_days] ~ normal(popularity[1:(num_days - 1)], step_sd);
  step_sd ~ exponential(2);
  poll_sd ~ exponential(0.3);
  result ~ normal(popularity[day], poll_sd[pollster]);
}
