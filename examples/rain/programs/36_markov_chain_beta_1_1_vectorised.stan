// First-order Markov chain with Beta(1, 1) priors, the likelihood split into days after dry days and
// days after rainy days.
data {
  int num_days; // number of days recorded
  array[num_days] int<lower=0, upper=1> rain; // 1 if it rained that day, 0 if not
}
parameters {
  real<lower=0, upper=1> p_rain_after_dry;
  real<lower=0, upper=1> p_rain_after_rain;
}
model {
  p_rain_after_dry ~ beta(1, 1);
  p_rain_after_rain ~ beta(1, 1);
  for (t in 2:num_days) {
    rain[t] ~ bernoulli(rain[t - 1] * p_rain_after_rain + (1 - rain[t - 1]) * p_rain_after_dry);
  }
}
generated quantities {
  int<lower=0, upper=1> rain_next_day
    = bernoulli_rng(rain[num_days] * p_rain_after_rain + (1 - rain[num_days]) * p_rain_after_dry);
}
