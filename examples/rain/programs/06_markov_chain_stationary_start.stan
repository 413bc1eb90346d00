// Two-state Markov chain with uniform priors on the transition probabilities; the first day is drawn
// from the chain's stationary distribution, so every recorded day contributes to the likelihood.
data {
  int num_days; // number of days recorded
  array[num_days] int<lower=0, upper=1> rain; // 1 if it rained that day, 0 if not
}
parameters {
  real<lower=0, upper=1> p01; // P(rain | dry yesterday)
  real<lower=0, upper=1> p11; // P(rain | rain yesterday)
}
transformed parameters {
  real<lower=0, upper=1> stationary_rain = p01 / (p01 + 1 - p11);
}
model {
  p01 ~ beta(1, 1);
  p11 ~ beta(1, 1);
  rain[1] ~ bernoulli(stationary_rain);
  for (t in 2:num_days) {
    rain[t] ~ bernoulli(rain[t - 1] ? p11 : p01);
  }
}
generated quantities {
  int<lower=0, upper=1> rain_next_day = bernoulli_rng(rain[num_days] ? p11 : p01);
}
