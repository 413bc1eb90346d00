// Popularity is an AR(1) process that reverts slowly to a long-run level (persistence near one), with
// house effects and pollster-specific noise on the polls.
data {
  int num_days; // days of the campaign
  int num_pollsters; // number of pollsters
  int num_polls; // number of polls
  array[num_polls] int<lower=1, upper=num_pollsters> pollster; // who ran each poll
  array[num_polls] int<lower=1, upper=num_days> day; // day of each poll
  array[num_polls] real result; // percentage supporting the candidate
}
parameters {
  real level;
  real<lower=0, upper=1> persistence;
  real<lower=0> step_sd;
  vector[num_days] popularity;
  vector[num_pollsters] house;
  vector<lower=0>[num_pollsters] poll_sd;
}
model {
  level ~ normal(50, 10);
  persistence ~ beta(10, 1);
  step_sd ~ exponential(1);
  popularity[1] ~ normal(level, step_sd / sqrt(1 - square(persistence)));
  popularity[2:num_days] ~ normal(level + persistence * (popularity[1:(num_days - 1)] - level), step_sd);
  house ~ normal(0, 3);
  poll_sd ~ lognormal(log(2), 0.75);
  result ~ normal(popularity[day] + house[pollster], poll_sd[pollster]);
}
