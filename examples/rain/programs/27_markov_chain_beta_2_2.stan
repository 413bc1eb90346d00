// Markov chain on wet/dry days with two transition probabilities.
// Beta(2, 2) priors: moderate, symmetric, away from 0 and 1.
data {
  int num_days; // number of days recorded
  array[num_days] int<lower=0, upper=1> rain; // 1 if it rained that day, 0 if not
}
parameters {
  real<lower=0, upper=1> p_dry_to_rain; // P(rain today | dry yesterday)
  real<lower=0, upper=1> p_rain_to_rain; // P(rain today | rain yesterday)
}
model {
  p_dry_to_rain ~ beta(2, 2);
  p_rain_to_rain ~ beta(2, 2);
  for (t in 2:num_days) {
    rain[t] ~ bernoulli(rain[t - 1] == 1 ? p_rain_to_rain : p_dry_to_rain);
  }
}
generated quantities {
  int<lower=0, upper=1> rain_next_day = bernoulli_rng(rain[num_days] == 1 ? p_rain_to_rain : p_dry_to_rain);
}
