// Local-level model for the log-odds of support, written non-centred; popularity is 100 times the
// inverse logit. Polls add a house effect and pollster-specific noise, in points.
data {
  int num_days; // days of the campaign
  int num_pollsters; // number of pollsters
  int num_polls; // number of polls
  array[num_polls] int<lower=1, upper=num_pollsters> pollster; // who ran each poll
  array[num_polls] int<lower=1, upper=num_days> day; // day of each poll
  array[num_polls] real result; // percentage supporting the candidate
}
parameters {
  real start_log_odds;
  vector[num_days - 1] z;
  real<lower=0> step_sd; // log-odds per day
  vector[num_pollsters] house;
  vector<lower=0>[num_pollsters] poll_sd;
}
transformed parameters {
  vector[num_days] log_odds = start_log_odds + append_row(0, step_sd * cumulative_sum(z));
  vector[num_days] popularity = 100 * inv_logit(log_odds);
}
model {
  start_log_odds ~ normal(0, 0.5);
  z ~ std_normal();
  step_sd ~ exponential(20);
  house ~ normal(0, 2);
  poll_sd ~ lognormal(1, 0.7);
  result ~ normal(popularity[day] + house[pollster], poll_sd[pollster]);
}
