// Two-state Markov chain with Jeffreys Beta(0.5, 0.5) priors on the two transition probabilities.
data {
  int num_days; // number of days recorded
  array[num_days] int<lower=0, upper=1> rain; // 1 if it rained that day, 0 if not
}
parameters {
  real<lower=0, upper=1> p_rain_given_dry;
  real<lower=0, upper=1> p_rain_given_rain;
}
model {
  p_rain_given_dry ~ beta(0.5, 0.5);
  p_rain_given_rain ~ beta(0.5, 0.5);
  for (t in 2:num_days) {
    if (rain[t - 1] == 1)
      rain[t] ~ bernoulli(p_rain_given_rain);
    else
      rain[t] ~ bernoulli(p_rain_given_dry);
  }
}
generated quantities {
  int<lower=0, upper=1> rain_next_day
    = bernoulli_rng(rain[num_days] == 1 ? p_rain_given_rain : p_rain_given_dry);
}
