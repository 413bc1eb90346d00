// Gaussian-process classification with a probit link: a smooth latent function of position (length scale around
// 10 cm) decides where gold is likely, so gold comes in stretches. No separate test-error term.
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
  array[N] real x = append_array(train_locs, test_locs);
}
parameters {
  real<lower=0> rho;
  real<lower=0> alpha;
  real mu;
  vector[N] eta;
}
transformed parameters {
  vector[N] f;
  {
    matrix[N, N] L = cholesky_decompose(add_diag(gp_exp_quad_cov(x, alpha, rho), 1e-6));
    f = mu + L * eta;
  }
}
model {
  rho ~ inv_gamma(5, 50);
  alpha ~ normal(0, 1.5) T[0, ];
  mu ~ normal(0, 1);
  eta ~ std_normal();
  gold_train ~ bernoulli(Phi(f[1:num_train]));
}
generated quantities {
  array[num_test] int<lower=0, upper=1> gold_test;
  for (j in 1:num_test) gold_test[j] = bernoulli_rng(Phi(f[num_train + j]));
}
