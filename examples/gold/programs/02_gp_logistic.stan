// Gold presence follows a logistic Gaussian process along the rod: nearby places share their chance of gold.
// The length scale is around 10 cm; test errors are absorbed by the smooth probability.
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
  vector[N] z;
}
transformed parameters {
  vector[N] f;
  {
    matrix[N, N] L = cholesky_decompose(add_diag(gp_exp_quad_cov(x, alpha, rho), 1e-8));
    f = mu + L * z;
  }
}
model {
  rho ~ lognormal(log(10), 0.5);
  alpha ~ normal(0, 2) T[0, ];
  mu ~ normal(0, 2);
  z ~ std_normal();
  gold_train ~ bernoulli_logit(f[1:num_train]);
}
generated quantities {
  array[num_test] int<lower=0, upper=1> gold_test = bernoulli_logit_rng(f[(num_train + 1):N]);
}
