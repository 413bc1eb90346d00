// Logistic GP for gold along the rod (length scale inverse-gamma, mode near 6 cm; half-normal amplitude) and a test
// error rate known only to be below one half, uniform on that range.
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
  real<lower=0> rho;
  real<lower=0> alpha;
  real mu;
  real<lower=0, upper=0.5> error_rate;
  vector[N] eta;
}
transformed parameters {
  vector[N] f;
  {
    matrix[N, N] L_K = cholesky_decompose(add_diag(gp_exp_quad_cov(locs, alpha, rho), 1e-6));
    f = mu + L_K * eta;
  }
}
model {
  rho ~ inv_gamma(4, 30);
  alpha ~ normal(0, 2);
  mu ~ normal(0, 2);
  error_rate ~ uniform(0, 0.5);
  eta ~ std_normal();
  for (n in 1:num_train)
    gold_train[n] ~ bernoulli(error_rate + (1 - 2 * error_rate) * inv_logit(f[n]));
}
generated quantities {
  array[num_test] int<lower=0, upper=1> gold_test;
  for (j in 1:num_test) gold_test[j] = bernoulli_logit_rng(f[num_train + j]);
}
