// Markov chain parameterised by how likely each kind of day is to repeat: P(dry stays dry) and
// P(wet stays wet), both with Beta(2, 1) priors that lean towards persistent weather.
data {
  int num_days; // number of days recorded
  array[num_days] int<lower=0, upper=1> rain; // 1 if it rained that day, 0 if not
}
parameters {
  real<lower=0, upper=1> stay_dry;
  real<lower=0, upper=1> stay_wet;
}
model {
  stay_dry ~ beta(2, 1);
  stay_wet ~ beta(2, 1);
  for (t in 2:num_days) {
    if (rain[t - 1] == 1) {
      rain[t] ~ bernoulli(stay_wet);
    } else {
      rain[t] ~ bernoulli(1 - stay_dry);
    }
  }
}
generated quantities {
  int<lower=0, upper=1> rain_next_day = bernoulli_rng(rain[num_days] == 1 ? stay_wet : 1 - stay_dry);
}
