// Hierarchical regression, explicitly non-centred: city intercept = population intercept + spread * z, same
// for slopes. Temperatures are centred at 75 F; noise is normal with a half-normal scale prior.
data {
  int<lower=1> num_cities;
  int<lower=1> num_days_train;
  int<lower=1> num_days_test;
  array[num_cities, num_days_train] real day1_temp_train;
  array[num_cities, num_days_train] real day2_temp_train;
  array[num_cities, num_days_test] real day1_temp_test;
}
transformed data {
  real center = 75;
}
parameters {
  real alpha_bar;
  real beta_bar;
  real<lower=0> alpha_sd;
  real<lower=0> beta_sd;
  vector[num_cities] alpha_z;
  vector[num_cities] beta_z;
  real<lower=0> sigma;
}
transformed parameters {
  vector[num_cities] alpha = alpha_bar + alpha_sd * alpha_z;
  vector[num_cities] beta = beta_bar + beta_sd * beta_z;
}
model {
  alpha_bar ~ normal(75, 15);
  beta_bar ~ normal(1, 0.5);
  alpha_sd ~ normal(0, 10);
  beta_sd ~ normal(0, 0.3);
  alpha_z ~ std_normal();
  beta_z ~ std_normal();
  sigma ~ normal(0, 10);
  for (c in 1:num_cities) {
    for (d in 1:num_days_train) {
      day2_temp_train[c, d] ~ normal(alpha[c] + beta[c] * (day1_temp_train[c, d] - center), sigma);
    }
  }
}
generated quantities {
  array[num_cities, num_days_test] real day2_temp_test;
  for (c in 1:num_cities) {
    for (d in 1:num_days_test) {
      day2_temp_test[c, d] = normal_rng(alpha[c] + beta[c] * (day1_temp_test[c, d] - center), sigma);
    }
  }
}
