// Markov chain in which weather tends to persist: Beta(3, 1) prior on staying wet and Beta(1, 3)
// on a dry day turning wet, since rainy and dry spells are common.
data {
  int num_days; // number of days recorded
  array[num_days] int<lower=0, upper=1> rain; // 1 if it rained that day, 0 if not
}
parameters {
  real<lower=0, upper=1> p_rain_after_dry;
  real<lower=0, upper=1> p_rain_after_rain;
}
model {
  p_rain_after_dry ~ beta(1, 3);
  p_rain_after_rain ~ beta(3, 1);
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
