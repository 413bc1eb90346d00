// Logistic regression on Gaussian bumps centred every 10 cm (width 7 cm), so the chance of gold varies smoothly
// in stretches; each test result is flipped with a small error probability (below one half).
data {
  real rod_length;
  int num_train;
  array[num_train] real train_locs;
  array[num_train] int<lower=0, upper=1> gold_train;
  int num_test;
  array[num_test] real test_locs;
}
transformed data {
  int K = 11;
  real width = 7;
  matrix[num_train, K] B_train;
  matrix[num_test, K] B_test;
  for (k in 1:K) {
    real centre = (k - 1) * rod_length / (K - 1);
    for (n in 1:num_train) B_train[n, k] = exp(-0.5 * square((train_locs[n] - centre) / width));
    for (j in 1:num_test) B_test[j, k] = exp(-0.5 * square((test_locs[j] - centre) / width));
  }
}
parameters {
  real intercept;
  vector[K] w;
  real<lower=0, upper=0.5> error_rate;
}
model {
  intercept ~ normal(0, 1.5);
  w ~ normal(0, 3);
  error_rate ~ beta(1, 10);
  {
    vector[num_train] p = inv_logit(intercept + B_train * w);
    gold_train ~ bernoulli(error_rate + (1 - 2 * error_rate) * p);
  }
}
generated quantities {
  array[num_test] int<lower=0, upper=1> gold_test = bernoulli_logit_rng(intercept + B_test * w);
}
