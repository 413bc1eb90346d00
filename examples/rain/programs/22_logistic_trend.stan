// Days are independent given a rain probability that drifts over the recording period:
// log-odds linear in the (centred, scaled) day number, normal priors on intercept and slope.
data {
  int num_days; // number of days recorded
  array[num_days] int<lower=0, upper=1> rain; // 1 if it rained that day, 0 if not
}
transformed data {
  vector[num_days] time;
  for (t in 1:num_days) {
    time[t] = (t - (num_days + 1) / 2.0) / num_days;
  }
  real time_next = (num_days + 1 - (num_days + 1) / 2.0) / num_days;
}
parameters {
  real intercept;
  real slope;
}
model {
  intercept ~ normal(0, 1.5);
  slope ~ normal(0, 2);
  rain ~ bernoulli_logit(intercept + slope * time);
}
generated quantities {
  int<lower=0, upper=1> rain_next_day = bernoulli_logit_rng(intercept + slope * time_next);
}
