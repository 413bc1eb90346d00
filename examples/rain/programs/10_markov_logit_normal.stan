// Markov chain written on the log-odds scale: one log-odds of rain after a dry day and one after a rainy day,
// each with a normal(0, 1.5) prior (roughly uniform on the probability scale).
data {
  int num_days; // number of days recorded
  array[num_days] int<lower=0, upper=1> rain; // 1 if it rained that day, 0 if not
}
parameters {
  vector[2] log_odds; // [1]: after a dry day, [2]: after a rainy day
}
model {
  log_odds ~ normal(0, 1.5);
  for (t in 2:num_days) {
    rain[t] ~ bernoulli_logit(log_odds[rain[t - 1] + 1]);
  }
}
generated quantities {
  int<lower=0, upper=1> rain_next_day = bernoulli_logit_rng(log_odds[rain[num_days] + 1]);
}
