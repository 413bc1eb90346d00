// Logistic autoregression on yesterday's rain plus a slow linear trend over the recording period.
data {
  int num_days; // number of days recorded
  array[num_days] int<lower=0, upper=1> rain; // 1 if it rained that day, 0 if not
}
parameters {
  real intercept;
  real lag_effect;
  real trend; // change in log-odds over the whole period
}
model {
  intercept ~ normal(0, 1.5);
  lag_effect ~ normal(0, 1.5);
  trend ~ normal(0, 1);
  for (t in 2:num_days) {
    rain[t] ~ bernoulli_logit(intercept + lag_effect * rain[t - 1] + trend * (t - 1.0) / num_days);
  }
}
generated quantities {
  int<lower=0, upper=1> rain_next_day
    = bernoulli_logit_rng(intercept + lag_effect * rain[num_days] + trend); // tomorrow is at (t - 1) / num_days = 1
}
