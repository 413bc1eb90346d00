// Logistic autoregression on yesterday's rain with heavy-tailed student_t(3, 0, 2.5) priors,
// in case persistence is very strong.
data {
  int num_days; // number of days recorded
  array[num_days] int<lower=0, upper=1> rain; // 1 if it rained that day, 0 if not
}
parameters {
  real a;
  real b;
}
model {
  a ~ student_t(3, 0, 2.5);
  b ~ student_t(3, 0, 2.5);
  for (t in 2:num_days) {
    rain[t] ~ bernoulli_logit(a + b * rain[t - 1]);
  }
}
generated quantities {
  int<lower=0, upper=1> rain_next_day = bernoulli_logit_rng(a + b * rain[num_days]);
}
