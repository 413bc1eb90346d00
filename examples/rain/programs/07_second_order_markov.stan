// Second-order Markov chain: the chance of rain depends on the weather of the previous two days
// (four combinations), each probability with a uniform Beta(1, 1) prior.
data {
  int num_days; // number of days recorded
  array[num_days] int<lower=0, upper=1> rain; // 1 if it rained that day, 0 if not
}
parameters {
  array[2, 2] real<lower=0, upper=1> p_rain; // indexed by [day before yesterday + 1, yesterday + 1]
}
model {
  for (i in 1:2) {
    for (j in 1:2) {
      p_rain[i, j] ~ beta(1, 1);
    }
  }
  for (t in 3:num_days) {
    rain[t] ~ bernoulli(p_rain[rain[t - 2] + 1, rain[t - 1] + 1]);
  }
}
generated quantities {
  int<lower=0, upper=1> rain_next_day = bernoulli_rng(p_rain[rain[num_days - 1] + 1, rain[num_days] + 1]);
}
