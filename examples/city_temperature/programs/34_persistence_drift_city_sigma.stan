// Persistence with city-specific drift and city-specific noise: tomorrow = today + drift[c] + noise with
// scale sigma[c]; drifts pooled (non-centred), noise scales with independent exponential priors.
data {
  int num_cities;
  int num_days_train;
  int num_days_test;
  array[num_cities, num_days_train] real day1_temp_train;
  array[num_cities, num_days_train] real day2_temp_train;
  array[num_cities, num_days_test] real day1_temp_test;
}
parameters {
  real mu_drift;
  real<lower=0> tau_drift;
  vector<offset=mu_drift, multiplier=tau_drift>[num_cities] drift;
  vector<lower=0>[num_cities] sigma;
}
model {
  mu_drift ~ normal(0, 3);
  tau_drift ~ normal(0, 3) T[0, ];
  drift ~ normal(mu_drift, tau_drift);
  sigma ~ exponential(0.3);
  for (c in 1:num_cities) {
    for (d in 1:num_days_train) {
      day2_temp_train[c, d] ~ normal(day1_temp_train[c, d] + drift[c], sigma[c]);
    }
  }
}
generated quantities {
  array[num_cities, num_days_test] real day2_temp_test;
  for (c in 1:num_cities) {
    for (d in 1:num_days_test) {
      day2_temp_test[c, d] = normal_rng(day1_temp_test[c, d] + drift[c], sigma[c]);
    }
  }
}
