// Logistic regression on how many of the previous three days were rainy (0 to 3):
// wetter recent weather makes rain more likely. normal(0, 1.5) intercept, normal(0, 1) slope.
data {
  int num_days; // number of days recorded
  array[num_days] int<lower=0, upper=1> rain; // 1 if it rained that day, 0 if not
}
parameters {
  real intercept;
  real effect_per_wet_day;
}
model {
  intercept ~ normal(0, 1.5);
  effect_per_wet_day ~ normal(0, 1);
  for (t in 4:num_days) {
    int wet_days = rain[t - 1] + rain[t - 2] + rain[t - 3];
    rain[t] ~ bernoulli_logit(intercept + effect_per_wet_day * wet_days);
  }
}
generated quantities {
  int<lower=0, upper=1> rain_next_day;
  {
    int wet_days = rain[num_days] + rain[num_days - 1] + rain[num_days - 2];
    rain_next_day = bernoulli_logit_rng(intercept + effect_per_wet_day * wet_days);
  }
}
