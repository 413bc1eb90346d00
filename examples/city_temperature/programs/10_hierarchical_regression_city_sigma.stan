// Hierarchical regression with city-specific noise: some climates are more changeable than others, so each
// city has its own noise scale, log-normally spread around a common value; intercepts and slopes pooled.
data {
  int num_cities;
  int num_days_train;
  int num_days_test;
  array[num_cities, num_days_train] real day1_temp_train;
  array[num_cities, num_days_train] real day2_temp_train;
  array[num_cities, num_days_test] real day1_temp_test;
}
parameters {
  real mu_alpha;
  real<lower=0> tau_alpha;
  real mu_beta;
  real<lower=0> tau_beta;
  vector<offset=mu_alpha, multiplier=tau_alpha>[num_cities] alpha;
  vector<offset=mu_beta, multiplier=tau_beta>[num_cities] beta;
  real mu_log_sigma;
  real<lower=0> tau_log_sigma;
  vector<offset=mu_log_sigma, multiplier=tau_log_sigma>[num_cities] log_sigma;
}
model {
  mu_alpha ~ normal(70, 20);
  tau_alpha ~ normal(0, 10) T[0, ];
  mu_beta ~ normal(1, 0.5);
  tau_beta ~ normal(0, 0.5) T[0, ];
  alpha ~ normal(mu_alpha, tau_alpha);
  beta ~ normal(mu_beta, tau_beta);
  mu_log_sigma ~ normal(1, 1);
  tau_log_sigma ~ normal(0, 0.5) T[0, ];
  log_sigma ~ normal(mu_log_sigma, tau_log_sigma);
  for (c in 1:num_cities) {
    for (d in 1:num_days_train) {
      day2_temp_train[c, d] ~ normal(alpha[c] + beta[c] * (day1_temp_train[c, d] - 70), exp(log_sigma[c]));
    }
  }
}
generated quantities {
  array[num_cities, num_days_test] real day2_temp_test;
  for (c in 1:num_cities) {
    for (d in 1:num_days_test) {
      day2_temp_test[c, d] = normal_rng(alpha[c] + beta[c] * (day1_temp_test[c, d] - 70), exp(log_sigma[c]));
    }
  }
}
