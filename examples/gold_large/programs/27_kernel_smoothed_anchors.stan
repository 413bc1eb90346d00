// Anchor probabilities every 10 cm (beta priors) averaged with a Gaussian kernel of 5 cm bandwidth, like a
// smoothed nearest-neighbour rule; the test results are Bernoulli draws of that probability.
data {
  real rod_length;
  int num_train;
  array[num_train] real train_locs;
  array[num_train] int<lower=0, upper=1> gold_train;
  int num_test;
  array[num_test] real test_locs;
}
transformed data {
  int A = 11;
  matrix[num_train, A] W_train;
  matrix[num_test, A] W_test;
  for (a in 1:A) {
    real c = (a - 1) * rod_length / (A - 1);
    for (n in 1:num_train) W_train[n, a] = exp(-0.5 * square((train_locs[n] - c) / 5));
    for (j in 1:num_test) W_test[j, a] = exp(-0.5 * square((test_locs[j] - c) / 5));
  }
  for (n in 1:num_train) W_train[n] = W_train[n] / sum(W_train[n]);
  for (j in 1:num_test) W_test[j] = W_test[j] / sum(W_test[j]);
}
parameters {
  vector<lower=0, upper=1>[A] theta;
}
model {
  theta ~ beta(1, 1);
  gold_train ~ bernoulli(W_train * theta);
}
generated quantities {
  array[num_test] int<lower=0, upper=1> gold_test = bernoulli_rng(W_test * theta);
}
