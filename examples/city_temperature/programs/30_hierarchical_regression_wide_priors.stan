// Hierarchical regression with vaguer population priors: intercept (at 70 F) normal(70, 30), slope normal(1, 1),
// half-Student-t spreads for the city intercepts and slopes; city effects non-centred.
data {
  int<lower=1> num_cities;
  int<lower=1> num_days_train;
  int<lower=1> num_days_test;
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
  real<lower=0> sigma;
}
model {
  mu_alpha ~ normal(70, 30);
  tau_alpha ~ student_t(3, 0, 10);
  mu_beta ~ normal(1, 1);
  tau_beta ~ student_t(3, 0, 1);
  sigma ~ normal(0, 20) T[0, ];
  alpha ~ normal(mu_alpha, tau_alpha);
  beta ~ normal(mu_beta, tau_beta);
  for (c in 1:num_cities) {
    for (d in 1:num_days_train) {
      day2_temp_train[c, d] ~ normal(alpha[c] + beta[c] * (day1_temp_train[c, d] - 70), sigma);
    }
  }
}
generated quantities {
  array[num_cities, num_days_test] real day2_temp_test;
  for (c in 1:num_cities) {
    for (d in 1:num_days_test) {
      day2_temp_test[c, d] = normal_rng(alpha[c] + beta[c] * (day1_temp_test[c, d] - 70), sigma);
    }
  }
}
