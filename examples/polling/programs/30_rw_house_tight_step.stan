// Random walk for popularity with a tight step prior (support moves a fraction of a point a day),
// house effects of a point or two, and pollster-specific noise.
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
  vector<lower=0>[num_pollsters] poll_sd;
}
model {
  popularity[1] ~ normal(50, 10);
  popularity[2:num_days] ~ normal(popularity[1:(num_days - 1)], step_sd);
  step_sd ~ normal(0, 0.5) T[0, ];
  house ~ normal(0, 2);
  poll_sd ~ gamma(2, 1);
  result ~ normal(popularity[day] + house[pollster], poll_sd[pollster]);
}
