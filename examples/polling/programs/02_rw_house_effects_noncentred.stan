// Random walk for popularity with pollster house effects and pollster-specific noise, written
// non-centred: the daily changes are standard normal innovations scaled by step_sd. Lognormal noise priors.
data {
  int num_days; // days of the campaign
  int num_pollsters; // number of pollsters
  int num_polls; // number of polls
  array[num_polls] int<lower=1, upper=num_pollsters> pollster; // who ran each poll
  array[num_polls] int<lower=1, upper=num_days> day; // day of each poll
  array[num_polls] real result; // percentage supporting the candidate
}
parameters {
  real initial; // support on day 1, in percent
  vector[num_days - 1] innovation;
  real<lower=0> step_sd;
  vector[num_pollsters] house;
  vector<lower=0>[num_pollsters] poll_sd;
}
transformed parameters {
  vector[num_days] popularity;
  popularity[1] = initial;
  popularity[2:num_days] = initial + step_sd * cumulative_sum(innovation);
}
model {
  initial ~ normal(50, 10);
  innovation ~ std_normal();
  step_sd ~ normal(0, 1) T[0, ];
  house ~ normal(0, 2);
  poll_sd ~ lognormal(log(2), 0.75);
  result ~ normal(popularity[day] + house[pollster], poll_sd[pollster]);
}
