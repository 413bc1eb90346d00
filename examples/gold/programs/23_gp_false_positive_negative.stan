// Logistic Gaussian process for the true presence of gold; the test has its own false-positive and false-negative
// rates (both small, beta priors), since missing gold and seeing gold that is not there may differ.
data {
  real rod_length;
  int num_train;
  array[num_train] real train_locs;
  array[num_train] int<lower=0, upper=1> gold_train;
  int num_test;
  array[num_test] real test_locs;
}
transformed data {
  int N = num_train + num_test;
  array[N] real locs = append_array(train_locs, test_locs);
}
parameters {
  real<lower=0> length_scale;
  real<lower=0> magnitude;
  real mu;
  real<lower=0, upper=1> false_pos;
  real<lower=0, upper=1> false_neg;
  vector[N] eta;
}
transformed parameters {
  vector[N] f = mu + cholesky_decompose(add_diag(gp_exp_quad_cov(locs, magnitude, length_scale), 1e-6)) * eta;
}
model {
  length_scale ~ inv_gamma(5, 50);
  magnitude ~ normal(0, 2.5) T[0, ];
  mu ~ normal(0, 1.5);
  false_pos ~ beta(2, 30);
  false_neg ~ beta(2, 30);
  eta ~ std_normal();
  for (n in 1:num_train) {
    real p = inv_logit(f[n]);
    gold_train[n] ~ bernoulli(p * (1 - false_neg) + (1 - p) * false_pos);
  }
}
generated quantities {
  array[num_test] int<lower=0, upper=1> gold_test;
  for (j in 1:num_test) gold_test[j] = bernoulli_logit_rng(f[num_train + j]);
}
