// Local-level model on the logit scale: the log-odds of support follow a random walk, so popularity
// stays between 0 and 100. Polls add a house effect (in points) and pollster-specific noise.
data {
  int num_days; // days of the campaign
  int num_pollsters; // number of pollsters
  int num_polls; // number of polls
  array[num_polls] int<lower=1, upper=num_pollsters> pollster; // who ran each poll
  array[num_polls] int<lower=1, upper=num_days> day; // day of each poll
  array[num_polls] real result; // percentage supporting the candidate
}
parameters {
  vector[num_days] log_odds;
  real<lower=0> step_sd; // on the log-odds scale
  vector[num_pollsters] house;
  vector<lower=0>[num_pollsters] poll_sd;
}
transformed parameters {
  vector[num_days] popularity = 100 * inv_logit(log_odds);
}
model {
  log_odds[1] ~ normal(0, 1);
  log_odds[2:num_days] ~ normal(log_odds[1:(num_days - 1)], step_sd);
  step_sd ~ normal(0, 0.1) T[0, ];
  house ~ normal(0, 3);
  poll_sd ~ lognormal(log(2), 0.75);
  result ~ normal(popularity[day] + house[pollster], poll_sd[pollster]);
}
