// Logistic regression on Gaussian bumps every 10 cm; reports the probability of gold at each new place.
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
  matrix[num_train, K] B_train;
  matrix[num_test, K] B_test;
  for (k in 1:K) {
    real centre = (k - 1) * 10.0;
    for (n in 1:num_train) B_train[n, k] = exp(-0.5 * square((train_locs[n] - centre) / 8.0));
    for (j in 1:num_test) B_test[j, k] = exp(-0.5 * square((test_locs[j] - centre) / 8.0));
  }
}
parameters {
  real intercept;
  vector[K] w;
}
model {
  intercept ~ normal(0, 2);
  w ~ normal(0, 2);
  gold_train ~ bernoulli_logit(intercept + B_train * w);
}
generated quantities {
  vector<lower=0, upper=1>[num_test] gold_test = inv_logit(intercept + B_test * w);
}
