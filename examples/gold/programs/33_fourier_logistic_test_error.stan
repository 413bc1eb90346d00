// Smooth log-odds of gold from a Fourier series along the rod (8 harmonics, shrinking with frequency) and a small
// probability that a test is wrong.
data {
  real rod_length;
  int num_train;
  array[num_train] real train_locs;
  array[num_train] int<lower=0, upper=1> gold_train;
  int num_test;
  array[num_test] real test_locs;
}
transformed data {
  int H = 8;
  matrix[num_train, 2 * H] X_train;
  matrix[num_test, 2 * H] X_test;
  vector[2 * H] prior_sd;
  for (h in 1:H) {
    real w = 2 * pi() * h / rod_length;
    X_train[:, 2 * h - 1] = sin(w * to_vector(train_locs));
    X_train[:, 2 * h] = cos(w * to_vector(train_locs));
    X_test[:, 2 * h - 1] = sin(w * to_vector(test_locs));
    X_test[:, 2 * h] = cos(w * to_vector(test_locs));
    prior_sd[2 * h - 1] = 2.0 / h;
    prior_sd[2 * h] = 2.0 / h;
  }
}
parameters {
  real c0;
  vector[2 * H] coef;
  real<lower=0, upper=1> error_rate;
}
model {
  c0 ~ normal(0, 1.5);
  coef ~ normal(0, prior_sd);
  error_rate ~ beta(2, 20);
  gold_train ~ bernoulli(error_rate + (1 - 2 * error_rate) * inv_logit(c0 + X_train * coef));
}
generated quantities {
  array[num_test] int<lower=0, upper=1> gold_test = bernoulli_logit_rng(c0 + X_test * coef);
}
