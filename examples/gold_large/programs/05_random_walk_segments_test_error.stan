// The rod is cut into 2 cm segments whose log-odds of gold follow a Gaussian random walk, so neighbouring segments
// are alike and gold comes in stretches; tests are wrong with a small probability.
data {
  real rod_length;
  int num_train;
  array[num_train] real train_locs;
  array[num_train] int<lower=0, upper=1> gold_train;
  int num_test;
  array[num_test] real test_locs;
}
transformed data {
  int S = 50;
  real seg_len = rod_length / S;
  array[num_train] int seg_train;
  array[num_test] int seg_test;
  for (n in 1:num_train) seg_train[n] = min(S, 1 + to_int(floor(train_locs[n] / seg_len)));
  for (j in 1:num_test) seg_test[j] = min(S, 1 + to_int(floor(test_locs[j] / seg_len)));
}
parameters {
  vector[S] log_odds;
  real<lower=0> step_sd;
  real<lower=0, upper=1> error_rate;
}
model {
  log_odds[1] ~ normal(0, 2);
  log_odds[2:S] ~ normal(log_odds[1:(S - 1)], step_sd);
  step_sd ~ normal(0, 1) T[0, ];
  error_rate ~ beta(2, 25);
  for (n in 1:num_train) {
    real p = inv_logit(log_odds[seg_train[n]]);
    gold_train[n] ~ bernoulli(error_rate + (1 - 2 * error_rate) * p);
  }
}
generated quantities {
  array[num_test] int<lower=0, upper=1> gold_test;
  for (j in 1:num_test) gold_test[j] = bernoulli_logit_rng(log_odds[seg_test[j]]);
}
