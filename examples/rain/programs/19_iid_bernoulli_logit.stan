// Days are independent; the log-odds of rain has a normal(0, 1.5) prior.
data {
  int num_days; // number of days recorded
  array[num_days] int<lower=0, upper=1> rain; // 1 if it rained that day, 0 if not
}
parameters {
  real log_odds;
}
model {
  log_odds ~ normal(0, 1.5);
  rain ~ bernoulli_logit(log_odds);
}
generated quantities {
  int<lower=0, upper=1> rain_next_day = bernoulli_logit_rng(log_odds);
}
