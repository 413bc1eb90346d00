// Hierarchical regression on the raw Fahrenheit scale: day2 = alpha[c] + beta[c] * day1 + noise, with city
// intercepts and slopes drawn around population values (non-centred through standard-normal offsets).
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
  vector[num_cities] z_alpha;
  vector[num_cities] z_beta;
  real<lower=0> sigma;
}
transformed parameters {
  vector[num_cities] alpha = mu_alpha + tau_alpha * z_alpha;
  vector[num_cities] beta = mu_beta + tau_beta * z_beta;
}
model {
  mu_alpha ~ normal(0, 20);
  tau_alpha ~ normal(0, 10) T[0, ];
  mu_beta ~ normal(1, 0.5);
  tau_beta ~ normal(0, 0.25) T[0, ];
  sigma ~ normal(0, 10) T[0, ];
  z_alpha ~ std_normal();
  z_beta ~ std_normal();
  for (c in 1:num_cities) {
    day2_temp_train[c] ~ normal(alpha[c] + beta[c] * to_vector(day1_temp_train[c]), sigma);
  }
}
generated quantities {
  array[num_cities, num_days_test] real day2_temp_test;
  for (c in 1:num_cities) {
    for (d in 1:num_days_test) {
      day2_temp_test[c, d] = normal_rng(alpha[c] + beta[c] * day1_temp_test[c, d], sigma);
    }
  }
}
