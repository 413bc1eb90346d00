// Logistic regression of today's rain on yesterday's rain, with wider normal(0, 2.5) priors
// (log-odds from about -5 to 5 are all plausible before seeing data).
data {
  int num_days; // number of days recorded
  array[num_days] int<lower=0, upper=1> rain; // 1 if it rained that day, 0 if not
}
transformed data {
  vector[num_days - 1] yesterday;
  array[num_days - 1] int today;
  for (t in 2:num_days) {
    yesterday[t - 1] = rain[t - 1];
    today[t - 1] = rain[t];
  }
}
parameters {
  real alpha;
  real beta;
}
model {
  alpha ~ normal(0, 2.5);
  beta ~ normal(0, 2.5);
  today ~ bernoulli_logit(alpha + beta * yesterday);
}
generated quantities {
  int<lower=0, upper=1> rain_next_day = bernoulli_logit_rng(alpha + beta * rain[num_days]);
}
