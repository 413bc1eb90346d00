// Independent days; most places see rain on fewer than half of days, so a Beta(2, 3) prior on the rain probability.
data {
  int num_days; // number of days recorded
  array[num_days] int<lower=0, upper=1> rain; // 1 if it rained that day, 0 if not
}
parameters {
  real<lower=0, upper=1> p_rain;
}
model {
  p_rain ~ beta(2, 3);
  rain ~ bernoulli(p_rain);
}
generated quantities {
  int<lower=0, upper=1> rain_next_day = bernoulli_rng(p_rain);
}
