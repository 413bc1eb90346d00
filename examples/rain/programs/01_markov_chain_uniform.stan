// First-order Markov chain: tomorrow's chance of rain depends only on whether it rained today.
// Two transition probabilities (after a dry day, after a rainy day), each with a uniform Beta(1, 1) prior.
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
