// Logistic Gaussian process over position without a separate error term: the GP's probability of gold being
// below one inside a stretch already allows for the occasional wrong test.
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
  real<lower=0> marginal_sd;
  real intercept;
  vector[N] eta;
}
transformed parameters {
  vector[N] f;
  {
    matrix[N, N] L = cholesky_decompose(add_diag(gp_exp_quad_cov(locs, marginal_sd, length_scale), 1e-6));
    f = intercept + L * eta;
  }
}
model {
  length_scale ~ inv_gamma(3, 20);
  marginal_sd ~ normal(0, 2) T[0, ];
  intercept ~ normal(0, 1);
  eta ~ std_normal();
  gold_train ~ bernoulli_logit(f[1:num_train]);
}
generated quantities {
  array[num_test] int<lower=0, upper=1> gold_test;
  for (j in 1:num_test) gold_test[j] = bernoulli_logit_rng(f[num_train + j]);
}
