// Two-state Markov chain for rain with Beta(1, 1) priors on the transition probabilities.
data {
  int num_days;
  int<lower=0, upper=1> rain[num_days];
}
parameters {
  real<lower=0, upper=1> p_after_dry;
  real<lower=0, upper=1> p_after_rain;
}
model {
  p_after_dry ~ beta(1, 1);
  p_after_rain ~ beta(1, 1);
  for (t in 2:num_days)
    rain[t] ~ bernoulli(rain[t - 1] == 1 ? p_after_rain : p_after_dry);
}
generated quantities {
  int<lower=0, upper=1> rain_next_day = bernoulli_rng(rain[num_days] == 1 ? p_after_rain : p_after_dry);
}
