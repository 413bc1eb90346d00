// Gaussian process on the log-odds of gold along the rod, with a small chance that each test is wrong.
data {
  real rod_length;
  int num_train;
  real train_locs[num_train];
  int<lower=0, upper=1> gold_train[num_train];
  int num_test;
  real test_locs[num_test];
}
transformed data {
  int N = num_train + num_test;
  real locs[N] = append_array(train_locs, test_locs);
}
parameters {
  real<lower=0> rho;
  real<lower=0> alpha;
  real mu;
  real<lower=0, upper=1> eps;
  vector[N] eta;
}
transformed parameters {
  vector[N] f = mu + cholesky_decompose(add_diag(gp_exp_quad_cov(locs, alpha, rho), 1e-6)) * eta;
}
model {
  rho ~ inv_gamma(5, 50);
  alpha ~ normal(0, 3) T[0, ];
  mu ~ normal(0, 1.5);
  eps ~ beta(2, 20);
  eta ~ std_normal();
  for (n in 1:num_train)
    gold_train[n] ~ bernoulli(eps + (1 - 2 * eps) * inv_logit(f[n]));
}
generated quantities {
  int<lower=0, upper=1> gold_test[num_test];
  for (j in 1:num_test) gold_test[j] = bernoulli_logit_rng(f[num_train + j]);
}
