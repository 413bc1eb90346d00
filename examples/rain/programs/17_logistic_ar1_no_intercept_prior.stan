// Logistic autoregression on yesterday's rain; only the lag effect gets a prior.
data {
  int num_days; // number of days recorded
  array[num_days] int<lower=0, upper=1> rain; // 1 if it rained that day, 0 if not
}
parameters {
  real intercept;
  real persistence;
}
model {
  persistence ~ normal(0, 2);
  for (t in 2:num_days) {
    rain[t] ~ bernoulli_logit(intercept + persistence * rain[t - 1]);
  }
}
generated quantities {
  int<lower=0, upper=1> rain_next_day = bernoulli_logit_rng(intercept + persistence * rain[num_days]);
}
