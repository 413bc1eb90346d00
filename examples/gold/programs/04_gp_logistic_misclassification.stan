// Latent logistic Gaussian process for the probability of gold along the rod; each test is misread with an unknown
// probability of a few percent. Length scale prior centred near 10 cm, predictions are the true state.
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
  real<lower=0, upper=1> eps;
  vector[N] eta;
}
transformed parameters {
  vector[N] f;
  {
    matrix[N, N] K = gp_exp_quad_cov(locs, alpha, rho);
    for (n in 1:N) K[n, n] = K[n, n] + 1e-6;
    f = mu + cholesky_decompose(K) * eta;
  }
}
model {
  rho ~ inv_gamma(4, 40);
  alpha ~ normal(0, 2.5) T[0, ];
  mu ~ normal(0, 1);
  eps ~ beta(1, 20);
  eta ~ std_normal();
  for (n in 1:num_train) {
    real p = inv_logit(f[n]);
    gold_train[n] ~ bernoulli(p * (1 - eps) + (1 - p) * eps);
  }
}
generated quantities {
  array[num_test] int<lower=0, upper=1> gold_test;
  for (j in 1:num_test) gold_test[j] = bernoulli_rng(inv_logit(f[num_train + j]));
}
