// Markov chain for days 2 onwards with two transition probabilities; the first day, which has no
// recorded yesterday, gets its own rain probability. All three have uniform priors.
data {
  int num_days; // number of days recorded
  array[num_days] int<lower=0, upper=1> rain; // 1 if it rained that day, 0 if not
}
parameters {
  real<lower=0, upper=1> p_first;
  real<lower=0, upper=1> p_after_dry;
  real<lower=0, upper=1> p_after_rain;
}
model {
  p_first ~ beta(1, 1);
  p_after_dry ~ beta(1, 1);
  p_after_rain ~ beta(1, 1);
  rain[1] ~ bernoulli(p_first);
  for (t in 2:num_days) {
    rain[t] ~ bernoulli(rain[t - 1] == 1 ? p_after_rain : p_after_dry);
  }
}
generated quantities {
  int<lower=0, upper=1> rain_next_day = bernoulli_rng(rain[num_days] == 1 ? p_after_rain : p_after_dry);
}
