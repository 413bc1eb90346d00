// Logistic regression on 11 Gaussian bumps (every 10 cm, width 7 cm); the bump weights share a common spread
// learned from the data (hierarchical shrinkage), giving smooth stretches of gold.
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
    real c = (k - 1) * 10.0;
    for (n in 1:num_train) B_train[n, k] = exp(-0.5 * square((train_locs[n] - c) / 7.0));
    for (j in 1:num_test) B_test[j, k] = exp(-0.5 * square((test_locs[j] - c) / 7.0));
  }
}
parameters {
  real alpha;
  real<lower=0> tau;
  vector[K] w;
}
model {
  alpha ~ normal(0, 2);
  tau ~ normal(0, 1);
  w ~ normal(0, tau);
  gold_train ~ bernoulli_logit(alpha + B_train * w);
}
generated quantities {
  array[num_test] int<lower=0, upper=1> gold_test = bernoulli_logit_rng(alpha + B_test * w);
}
