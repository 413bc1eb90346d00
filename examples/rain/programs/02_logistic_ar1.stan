// Logistic autoregression: the log-odds of rain are an intercept plus an effect of whether it rained the day before.
// Weakly informative normal(0, 1.5) priors on both coefficients.
data {
  int num_days; // number of days recorded
  array[num_days] int<lower=0, upper=1> rain; // 1 if it rained that day, 0 if not
}
parameters {
  real intercept;
  real lag_effect;
}
model {
  intercept ~ normal(0, 1.5);
  lag_effect ~ normal(0, 1.5);
  for (t in 2:num_days) {
    rain[t] ~ bernoulli_logit(intercept + lag_effect * rain[t - 1]);
  }
}
generated quantities {
  int<lower=0, upper=1> rain_next_day = bernoulli_logit_rng(intercept + lag_effect * rain[num_days]);
}
