// Gaussian process (squared-exponential kernel) on the log-odds of gold along the rod, so gold clusters in
// stretches a few cm to tens of cm long; every test has a small chance of reporting the wrong answer.
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
  real mean_log_odds;
  real<lower=0, upper=1> error_rate;
  vector[N] eta;
}
transformed parameters {
  vector[N] f;
  {
    matrix[N, N] K = add_diag(gp_exp_quad_cov(locs, magnitude, length_scale), 1e-6);
    matrix[N, N] L_K = cholesky_decompose(K);
    f = mean_log_odds + L_K * eta;
  }
}
model {
  length_scale ~ inv_gamma(5, 50);
  magnitude ~ normal(0, 3) T[0, ];
  mean_log_odds ~ normal(0, 1.5);
  error_rate ~ beta(2, 20);
  eta ~ std_normal();
  for (n in 1:num_train) {
    gold_train[n] ~ bernoulli(error_rate + (1 - 2 * error_rate) * inv_logit(f[n]));
  }
}
generated quantities {
  array[num_test] int<lower=0, upper=1> gold_test;
  for (j in 1:num_test) {
    gold_test[j] = bernoulli_logit_rng(f[num_train + j]);
  }
}
