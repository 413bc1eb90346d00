// GP prior on the log-odds of gold (gamma prior on the length scale with mean 10 cm, lognormal amplitude), with a
// misreading probability for each test; predicts the true gold state.
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
  real<lower=0, upper=1> err;
  vector[N] eta;
}
transformed parameters {
  vector[N] latent;
  {
    matrix[N, N] K = add_diag(gp_exp_quad_cov(locs, alpha, rho), 1e-7);
    latent = mu + cholesky_decompose(K) * eta;
  }
}
model {
  rho ~ gamma(4, 0.4);
  alpha ~ lognormal(0.7, 0.5);
  mu ~ normal(0, 1.5);
  err ~ beta(1.5, 15);
  eta ~ std_normal();
  for (n in 1:num_train)
    gold_train[n] ~ bernoulli(err + (1 - 2 * err) * inv_logit(latent[n]));
}
generated quantities {
  array[num_test] int<lower=0, upper=1> gold_test;
  for (j in 1:num_test) gold_test[j] = bernoulli_logit_rng(latent[num_train + j]);
}
