// A Matern-3/2 Gaussian process (rougher than squared-exponential, allowing sharper stretch edges) for the log-odds
// of gold, with a small test error rate; predictions are the true gold state.
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
  real<lower=0> sigma_f;
  real mu;
  real<lower=0, upper=1> error_rate;
  vector[N] eta;
}
transformed parameters {
  vector[N] f = mu + cholesky_decompose(add_diag(gp_matern32_cov(locs, sigma_f, length_scale), 1e-6)) * eta;
}
model {
  length_scale ~ lognormal(log(8), 0.6);
  sigma_f ~ normal(0, 3) T[0, ];
  mu ~ normal(0, 1.5);
  error_rate ~ beta(2, 20);
  eta ~ std_normal();
  for (n in 1:num_train)
    gold_train[n] ~ bernoulli(error_rate + (1 - 2 * error_rate) * inv_logit(f[n]));
}
generated quantities {
  array[num_test] int<lower=0, upper=1> gold_test;
  for (j in 1:num_test) gold_test[j] = bernoulli_logit_rng(f[num_train + j]);
}
