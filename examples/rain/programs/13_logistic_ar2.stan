// Logistic autoregression of order two: rain on each of the two previous days shifts today's log-odds.
// normal(0, 1.5) priors on the intercept and both lag effects.
data {
  int num_days; // number of days recorded
  array[num_days] int<lower=0, upper=1> rain; // 1 if it rained that day, 0 if not
}
parameters {
  real intercept;
  real lag1;
  real lag2;
}
model {
  intercept ~ normal(0, 1.5);
  lag1 ~ normal(0, 1.5);
  lag2 ~ normal(0, 1.5);
  for (t in 3:num_days) {
    rain[t] ~ bernoulli_logit(intercept + lag1 * rain[t - 1] + lag2 * rain[t - 2]);
  }
}
generated quantities {
  int<lower=0, upper=1> rain_next_day
    = bernoulli_logit_rng(intercept + lag1 * rain[num_days] + lag2 * rain[num_days - 1]);
}
