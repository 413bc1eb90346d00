// Smooth log-odds of gold built from 21 Gaussian bumps 5 cm apart (width 5 cm) with normal weights; a test gives
// the wrong answer with a small probability.
data {
  real rod_length;
  int num_train;
  array[num_train] real train_locs;
  array[num_train] int<lower=0, upper=1> gold_train;
  int num_test;
  array[num_test] real test_locs;
}
transformed data {
  int K = 21;
  matrix[num_train, K] B_train;
  matrix[num_test, K] B_test;
  for (k in 1:K) {
    real c = (k - 1) * rod_length / (K - 1);
    for (n in 1:num_train) B_train[n, k] = exp(-0.5 * square((train_locs[n] - c) / 5));
    for (j in 1:num_test) B_test[j, k] = exp(-0.5 * square((test_locs[j] - c) / 5));
  }
}
parameters {
  real b0;
  vector[K] w;
  real<lower=0, upper=1> error_rate;
}
model {
  b0 ~ normal(-0.5, 1.5);
  w ~ normal(0, 1.5);
  error_rate ~ beta(2, 18);
  gold_train ~ bernoulli(error_rate + (1 - 2 * error_rate) * inv_logit(b0 + B_train * w));
}
generated quantities {
  array[num_test] int<lower=0, upper=1> gold_test = bernoulli_logit_rng(b0 + B_test * w);
}
