// Persistence: tomorrow is today's temperature plus a city-specific drift and noise. The drifts are
// partially pooled around a common mean (offset/multiplier), since weather is similar on neighbouring days.
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
  real<lower=0> sigma;
}
model {
  mu_drift ~ normal(0, 5);
  tau_drift ~ normal(0, 3) T[0, ];
  drift ~ normal(mu_drift, tau_drift);
  sigma ~ normal(0, 10) T[0, ];
  for (c in 1:num_cities) {
    for (d in 1:num_days_train) {
      day2_temp_train[c, d] ~ normal(day1_temp_train[c, d] + drift[c], sigma);
    }
  }
}
generated quantities {
  array[num_cities, num_days_test] real day2_temp_test;
  for (c in 1:num_cities) {
    for (d in 1:num_days_test) {
      day2_temp_test[c, d] = normal_rng(day1_temp_test[c, d] + drift[c], sigma);
    }
  }
}
