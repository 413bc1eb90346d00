// Logistic regression on a Fourier basis in position (6 harmonics over the rod); higher harmonics get smaller
// coefficients so the chance of gold varies smoothly, giving stretches. No separate test-error term.
data {
  real rod_length;
  int num_train;
  array[num_train] real train_locs;
  array[num_train] int<lower=0, upper=1> gold_train;
  int num_test;
  array[num_test] real test_locs;
}
transformed data {
  int H = 6;
  matrix[num_train, 2 * H] X_train;
  matrix[num_test, 2 * H] X_test;
  vector[2 * H] scale;
  for (h in 1:H) {
    for (n in 1:num_train) {
      X_train[n, 2 * h - 1] = sin(2 * pi() * h * train_locs[n] / rod_length);
      X_train[n, 2 * h] = cos(2 * pi() * h * train_locs[n] / rod_length);
    }
    for (j in 1:num_test) {
      X_test[j, 2 * h - 1] = sin(2 * pi() * h * test_locs[j] / rod_length);
      X_test[j, 2 * h] = cos(2 * pi() * h * test_locs[j] / rod_length);
    }
    scale[2 * h - 1] = 3.0 / sqrt(h);
    scale[2 * h] = 3.0 / sqrt(h);
  }
}
parameters {
  real a0;
  vector[2 * H] coef;
}
model {
  a0 ~ normal(0, 2);
  coef ~ normal(0, scale);
  gold_train ~ bernoulli_logit(a0 + X_train * coef);
}
generated quantities {
  array[num_test] int<lower=0, upper=1> gold_test = bernoulli_logit_rng(a0 + X_test * coef);
}
