// Hierarchical regression with correlated city intercepts and slopes: (alpha, beta) per city come from a
// bivariate normal with an LKJ prior on the correlation, non-centred through a Cholesky factor.
data {
  int num_cities;
  int num_days_train;
  int num_days_test;
  array[num_cities, num_days_train] real day1_temp_train;
  array[num_cities, num_days_train] real day2_temp_train;
  array[num_cities, num_days_test] real day1_temp_test;
}
parameters {
  vector[2] mu;
  vector<lower=0>[2] tau;
  cholesky_factor_corr[2] L_Omega;
  matrix[2, num_cities] z;
  real<lower=0> sigma;
}
transformed parameters {
  matrix[2, num_cities] ab = rep_matrix(mu, num_cities) + diag_pre_multiply(tau, L_Omega) * z;
}
model {
  mu[1] ~ normal(70, 20);
  mu[2] ~ normal(1, 0.5);
  tau[1] ~ normal(0, 10);
  tau[2] ~ normal(0, 0.5);
  L_Omega ~ lkj_corr_cholesky(2);
  to_vector(z) ~ std_normal();
  sigma ~ normal(0, 10);
  for (c in 1:num_cities) {
    for (d in 1:num_days_train) {
      day2_temp_train[c, d] ~ normal(ab[1, c] + ab[2, c] * (day1_temp_train[c, d] - 70), sigma);
    }
  }
}
generated quantities {
  array[num_cities, num_days_test] real day2_temp_test;
  for (c in 1:num_cities) {
    for (d in 1:num_days_test) {
      day2_temp_test[c, d] = normal_rng(ab[1, c] + ab[2, c] * (day1_temp_test[c, d] - 70), sigma);
    }
  }
}
