// Gold stretches modelled by a squared-exponential GP on the log-odds scale (length scale lognormal around 10 cm,
// exponential prior on the amplitude); a test is wrong with probability around 5%.
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
  real<lower=0> ell;
  real<lower=0> amp;
  real b0;
  real<lower=0, upper=1> p_err;
  vector[N] z;
}
transformed parameters {
  vector[N] g;
  {
    matrix[N, N] C = add_diag(gp_exp_quad_cov(x, amp, ell), 1e-6);
    g = b0 + cholesky_decompose(C) * z;
  }
}
model {
  ell ~ lognormal(log(10), 0.6);
  amp ~ exponential(0.5);
  b0 ~ normal(0, 2);
  p_err ~ beta(1, 19);
  z ~ std_normal();
  for (n in 1:num_train) {
    real q = inv_logit(g[n]);
    gold_train[n] ~ bernoulli((1 - p_err) * q + p_err * (1 - q));
  }
}
generated quantities {
  array[num_test] int<lower=0, upper=1> gold_test;
  for (j in 1:num_test) gold_test[j] = bernoulli_logit_rng(g[num_train + j]);
}
