// Rainy and dry days come in spells, so model the sequence as a two-state Markov chain:
// the chance of rain depends on yesterday's weather. Uniform priors on both transition probabilities.
data {
  int num_days;
  array[num_days] int<lower=0, upper=1> rain;
}
parameters {
  real<lower=0, upper=1> p_rain_after_dry;
  real<lower=0, upper=1> p_rain_after_rain;
}
model {
  p_rain_after_dry ~ beta(1, 1);
  p_rain_after_rain ~ beta(1, 1);
  for (t in 2:num_days) {
    if (rain[t - 1] == 1) {
      rain[t] ~ bernoulli(p_rain_after_rain);
    } else {
      rain[t] ~ bernoulli(p_rain_after_dry);
    }
  }
}
generated quantities {
  int<lower=0, upper=1> rain_next_day;
  if (rain[num_days] == 1) {
    rain_next_day = bernoulli_rng(p_rain_after_rain);
  } else {
    rain_next_day = bernoulli_rng(p_rain_after_dry);
  }
}
